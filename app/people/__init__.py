"""One person across sessions and centres, known by ID number: their history."""
