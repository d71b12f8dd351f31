"""Content managed by ANCT (pages, documents, FAQ, news), its reading pages, REST API and « Aide »."""
