-- matching trait_phones
SELECT DISTINCT
  value ->> '$'
FROM profile_traits
WHERE
  name = 'phone' AND NOT value IS NULL;
