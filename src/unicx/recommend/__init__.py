"""Product recommendations: candidate models, blending, business rules, serving, evaluation."""
