"""SQL of the built-in computed traits: named CTE steps over ``event_profiles``.

Every step reads the events in scope (``ev``) and yields one row per profile; the final step
joins them into one wide row that :mod:`unicx.profiles.computed` unpivots into
``computed_traits``. Parameters: ``$now`` (as-of time), ``$tz`` (workspace time zone) and
``$currency`` (workspace currency). Definitions are documented in docs/traits.md.
"""

from __future__ import annotations

# How an event reached us: 'app' (a mobile SDK or a screen call), 'web' (a browser library or a
# page call), else NULL (server libraries, imports): only app/web events are visits.
EVENT_CHANNEL = r"""CASE
    WHEN type = 'screen' OR lower(channel) = 'mobile' OR json_exists(context, '$.app')
      OR regexp_matches(lower(coalesce(library_name, '')),
                        'ios|android|react-native|flutter|swift|kotlin|xamarin|unity|cordova')
      THEN 'app'
    WHEN type = 'page' OR lower(channel) IN ('browser', 'web', 'client')
      OR regexp_matches(lower(coalesce(library_name, '')),
                        'analytics\.js|analytics-next|rudder-analytics|javascript|browser')
      THEN 'web'
  END"""

SESSION_GAP_MINUTES = 30

# Local calendar day in the workspace time zone.
LOCAL_TODAY = "CAST(timezone($tz, CAST($now AS TIMESTAMPTZ)) AS DATE)"


def local_date(column: str) -> str:
    return f"CAST(timezone($tz, {column}) AS DATE)"


def iso(column: str) -> str:
    """A timestamp as an ISO-8601 UTC string, whatever the session's TimeZone setting."""
    return f"strftime(timezone('UTC', {column}), '%Y-%m-%dT%H:%M:%S.%gZ')"


EVENTS_STEP = """ev AS (
  SELECT profile_id, message_id, type, event, channel, timestamp, properties, context,
         local_hour, device_type, library_name
  FROM {scope}
)"""

ACTIVITY_STEPS = f"""visits AS (
  SELECT profile_id, timestamp, type, device_type, local_hour,
         {EVENT_CHANNEL} AS visit_channel,
         json_extract_string(context, '$.sessionId') AS session_id
  FROM ev WHERE type IN ('page', 'screen', 'track')
),
interactive AS (SELECT * FROM visits WHERE visit_channel IS NOT NULL),
session_starts AS (
  SELECT profile_id,
         CASE WHEN timestamp - lag(timestamp) OVER w <= INTERVAL {SESSION_GAP_MINUTES} MINUTE
              THEN 0 ELSE 1 END AS starts
  FROM interactive WHERE session_id IS NULL
  WINDOW w AS (PARTITION BY profile_id ORDER BY timestamp)
),
sessions AS (
  SELECT profile_id, sum(n) AS sessions FROM (
    SELECT profile_id, count(DISTINCT session_id) AS n
    FROM interactive WHERE session_id IS NOT NULL GROUP BY profile_id
    UNION ALL
    SELECT profile_id, sum(starts) AS n FROM session_starts GROUP BY profile_id
  ) GROUP BY profile_id
),
seen AS (
  SELECT profile_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen,
         count(*) FILTER (WHERE type IN ('page', 'screen')) AS page_views
  FROM ev GROUP BY profile_id
),
channel_counts AS (
  SELECT profile_id, visit_channel AS v, count(*) AS n, max(timestamp) AS latest
  FROM interactive GROUP BY ALL
),
device_counts AS (
  SELECT profile_id, device_type AS v, count(*) AS n, max(timestamp) AS latest
  FROM interactive WHERE device_type IS NOT NULL AND device_type NOT IN ('bot', 'server')
  GROUP BY ALL
),
hour_counts AS (
  SELECT profile_id,
         CASE WHEN h BETWEEN 5 AND 11 THEN 'morning' WHEN h BETWEEN 12 AND 16 THEN 'afternoon'
              WHEN h BETWEEN 17 AND 21 THEN 'evening' ELSE 'night' END AS v,
         count(*) AS n, max(timestamp) AS latest
  FROM (SELECT *, coalesce(local_hour, hour(timezone($tz, timestamp))) AS h FROM interactive)
  GROUP BY ALL
),
channel_pref AS (
  SELECT profile_id, arg_max(v, (n, latest, v)) AS preferred_channel
  FROM channel_counts GROUP BY profile_id
),
device_pref AS (
  SELECT profile_id, arg_max(v, (n, latest, v)) AS preferred_device
  FROM device_counts GROUP BY profile_id
),
hour_pref AS (
  SELECT profile_id, arg_max(v, (n, latest, v)) AS time_of_day
  FROM hour_counts GROUP BY profile_id
)"""

WIDE_STEP = f"""wide AS (
  SELECT s.profile_id,
    to_json({iso("s.first_seen")}) AS first_seen,
    to_json({iso("s.last_seen")}) AS last_seen,
    to_json(coalesce(x.sessions, 0)::BIGINT) AS sessions,
    to_json(s.page_views::BIGINT) AS page_views,
    to_json(coalesce(o.orders_count, 0)::BIGINT) AS orders_count,
    to_json(round(coalesce(o.revenue, 0), 2)) AS revenue,
    to_json(round(o.revenue / nullif(o.orders_count, 0), 2)) AS average_order_value,
    to_json({iso("o.first_order_at")}) AS first_order_at,
    to_json({iso("o.last_order_at")}) AS last_order_at,
    to_json(date_diff('day', {local_date("o.last_order_at")}, {LOCAL_TODAY})) AS
      days_since_last_order,
    to_json(round(coalesce(o.spend_30d, 0), 2)) AS spend_30d,
    to_json(round(coalesce(o.spend_90d, 0), 2)) AS spend_90d,
    to_json(round(coalesce(o.spend_365d, 0), 2)) AS spend_365d,
    to_json(r.rfm_recency_score) AS rfm_recency_score,
    to_json(r.rfm_frequency_score) AS rfm_frequency_score,
    to_json(r.rfm_monetary_score) AS rfm_monetary_score,
    to_json(r.rfm_score) AS rfm_score,
    to_json(r.rfm_segment) AS rfm_segment,
    to_json(c.favourite_category) AS favourite_category,
    to_json(ch.preferred_channel) AS preferred_channel,
    to_json(dv.preferred_device) AS preferred_device,
    to_json(hr.time_of_day) AS time_of_day
  FROM seen s
  LEFT JOIN sessions x USING (profile_id)
  LEFT JOIN order_totals o USING (profile_id)
  LEFT JOIN rfm r USING (profile_id)
  LEFT JOIN favourite c USING (profile_id)
  LEFT JOIN channel_pref ch USING (profile_id)
  LEFT JOIN device_pref dv USING (profile_id)
  LEFT JOIN hour_pref hr USING (profile_id)
)"""
