"""The shell every page shares: layout, home, global scan box, health check, error pages."""
