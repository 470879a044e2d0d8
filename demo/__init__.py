"""The demo province (seed-demo): real agencies and tasks, driven through the real use cases."""
