"""Measurements of trained and untrained networks: gradients, Jacobians, baselines."""
