"""Run the evaluation suite."""
