"""portfolio_sim: Monte Carlo forecasts of a product portfolio."""

__version__ = "0.1.0"
