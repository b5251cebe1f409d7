from .cloud import Cloud, CloudInfo
from .rulemodule import Rule, RuleModule
