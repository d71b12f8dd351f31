"""Reference territories: import from the official open data, collectivité search, postal codes."""
