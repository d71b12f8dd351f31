"""`make bench`: latency and SQL statements per page at scale, against a baseline and a floor."""
