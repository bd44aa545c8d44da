"""Who is acting (a person, a model or the product, through one channel) and what they may do."""
