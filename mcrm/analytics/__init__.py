"""What the shop's figures say: counts, sums and rankings over members, purchases and messages."""
