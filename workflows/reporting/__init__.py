"""Progress figures, charts, monitoring and the official exports."""
