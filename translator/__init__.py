"""translator"""
