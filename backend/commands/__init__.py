"""Natural-language commands: what a person says or texts, as one structured `Command`, and
the one processor that runs it for every channel (`processor`).

`parse_grammar` is the deterministic grammar alone; `parse_command` adds the parser model
for what the grammar isn't sure of.
"""

from backend.commands.grammar import parse_grammar
from backend.commands.parse import parse_command
from backend.commands.schema import Command, Filter

__all__ = ["Command", "Filter", "parse_command", "parse_grammar"]
