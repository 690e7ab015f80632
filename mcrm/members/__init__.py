"""Members (会员): who a shop's customers are, their consent, tags, and CSV import and export."""
