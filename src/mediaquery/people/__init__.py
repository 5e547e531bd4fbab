"""Grouping faces into people (reads and writes through mediaquery.index)."""
