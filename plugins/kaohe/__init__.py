"""Kaohe: the assessment warehouse."""
