"""A smart-home device library: models for device replies (no network here)."""
from kasa.smartbulb import BehaviorMode, SmartBulb, TurnOnBehavior
