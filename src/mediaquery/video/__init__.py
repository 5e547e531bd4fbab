"""Video pipeline core: decode and sample frames, detect shots, aggregate labels over time."""
