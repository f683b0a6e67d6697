"""parnft input/output."""
