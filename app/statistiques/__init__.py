"""Accompaniment statistics (comptes rendus d'activité, CRA) and the coordinators' map."""
