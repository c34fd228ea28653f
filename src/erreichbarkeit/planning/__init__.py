"""What-if scenarios and location suggestions."""
