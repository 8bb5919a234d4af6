"""Engines: everything that talks to a model server or runs a model, plus hardware and fit."""
