"""Operations: backup, restore and health."""
