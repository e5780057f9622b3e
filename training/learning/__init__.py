"""Reading the curriculum, marking progress, writing reflections."""
