"""Segments: members chosen by conditions combined in AND/OR groups, compiled to one SQL query."""
