"""parnft."""
