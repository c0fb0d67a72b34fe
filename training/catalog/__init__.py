"""What the programme offers: venues, rooms, courses, runs and their sessions."""
