"""Convex protocol pieces shared by the client and the sandbox. No Textual imports."""
