"""Generate text with the model."""
