"""Helpers for the MCP tool-calling workbook."""
