"""Lead scoring: rules (fit, intent, engagement) and the predictive conversion model."""
