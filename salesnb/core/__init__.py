"""What every layer shares: errors, money, the scope and its date windows, the vocabulary of the data."""
