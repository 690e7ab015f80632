"""The WAP page under /m/: tiny pages for staff on a cheap phone, no JavaScript."""
