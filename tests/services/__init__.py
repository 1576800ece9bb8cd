"""Services that tests start for themselves (databases, ...), private, on loopback, in temporary
folders, and stopped in teardown."""
