"""The tool loop: MCP/Python tools as OpenAI functions, the loop itself, and its transcript.

Readers of Autogen's events live in `helpers.toolloop.autogen_events`, imported on its own
because Autogen takes a while to import and only notebook 04 needs it.
"""

from helpers.toolloop.loop import Tool, Toolbox, ToolOutput, local_tool, mcp_tool, mcp_tools, run_tool_loop
from helpers.toolloop.schemas import function_to_openai, mcp_tool_to_openai
from helpers.toolloop.transcript import Transcript, transcript_from_messages

__all__ = [
    "Tool",
    "ToolOutput",
    "Toolbox",
    "Transcript",
    "function_to_openai",
    "local_tool",
    "mcp_tool",
    "mcp_tool_to_openai",
    "mcp_tools",
    "run_tool_loop",
    "transcript_from_messages",
]
