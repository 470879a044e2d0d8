"""Tasks and their work: creating, acting, deadlines, reminders, periods, indicators, reads."""
