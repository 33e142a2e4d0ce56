"""The endpoints the mock serves, one declaration a module; registry.py lists them."""
