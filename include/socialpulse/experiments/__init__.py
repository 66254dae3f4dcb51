"""A/B experiments read every day: declarations, always-valid statistics, the sample-ratio check, decisions."""
