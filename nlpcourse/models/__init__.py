"""Models of the course, one readable file each."""
