"""Product recommendations: candidate models, blending, business rules, serving, evaluation.

Layer: above predict: may import predict, profiles and everything below them.
"""
