/*
** builtins.c: the schemas every tenant gets from `remdb init`: the REM
** model's resources (document chunks), moments (events in time) and the
** agent bookkeeping tables agents, sessions and messages.
*/
#include "sch.h"

const char *const sch_builtin[] = {
    /* resources: chunks of documents; id derived from uri + chunk_ordinal.
    ** An ingested file is one row with chunk_ordinal -1 (category
    ** "document") linked by has_chunk edges to its chunks 0, 1, ... */
    "{\"name\":\"resources\","
    "\"description\":\"Chunked documents: one entity per chunk\","
    "\"category\":\"resource\",\"version\":\"1.0.0\","
    "\"fully_qualified_name\":\"rem.resources\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"uri\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":2048},"
    "\"chunk_ordinal\":{\"type\":\"integer\",\"minimum\":-1},"
    "\"name\":{\"type\":[\"string\",\"null\"]},"
    "\"content\":{\"type\":\"string\"},"
    "\"summary\":{\"type\":[\"string\",\"null\"]},"
    "\"category\":{\"type\":[\"string\",\"null\"]},"
    "\"mime_type\":{\"type\":[\"string\",\"null\"]},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"uri\",\"content\"],"
    "\"indexed_fields\":[\"uri\",\"category\",\"created_at\"],"
    "\"embedding_fields\":[\"content\"],"
    "\"fulltext\":{\"fields\":[\"name\",\"summary\",\"content\"]},"
    "\"embedding\":{\"dim\":384,\"metric\":\"cosine\",\"provider\":\"hash\"}}",

    /* moments: events with a time span, participants and topics */
    "{\"name\":\"moments\","
    "\"description\":\"Events in time: meetings, conversations, incidents\","
    "\"category\":\"moment\",\"version\":\"1.0.0\","
    "\"fully_qualified_name\":\"rem.moments\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"name\":{\"type\":\"string\",\"maxLength\":512},"
    "\"kind\":{\"type\":\"string\",\"maxLength\":64},"
    "\"starts_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"ends_at\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"},"
    "\"participants\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"topics\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"summary\":{\"type\":[\"string\",\"null\"]},"
    "\"content\":{\"type\":[\"string\",\"null\"]},"
    "\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"name\",\"starts_at\"],"
    "\"indexed_fields\":[\"kind\",\"starts_at\",\"ends_at\"],"
    "\"embedding_fields\":[\"summary\"],"
    "\"fulltext\":{\"fields\":[\"name\",\"summary\",\"content\"]},"
    "\"embedding\":{\"dim\":384,\"metric\":\"cosine\",\"provider\":\"hash\"}}",

    /* agents: named agent definitions; the name is the key */
    "{\"name\":\"agents\","
    "\"description\":\"Agent definitions\","
    "\"category\":\"system\",\"version\":\"1.0.0\","
    "\"fully_qualified_name\":\"rem.agents\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":256},"
    "\"description\":{\"type\":[\"string\",\"null\"]},"
    "\"model\":{\"type\":[\"string\",\"null\"]},"
    "\"system_prompt\":{\"type\":[\"string\",\"null\"]},"
    "\"tools\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"name\"],"
    "\"key_field\":\"name\","
    "\"indexed_fields\":[\"name\"]}",

    /* sessions: one conversation of a user with an agent */
    "{\"name\":\"sessions\","
    "\"description\":\"Conversations between a user and an agent\","
    "\"category\":\"system\",\"version\":\"1.0.0\","
    "\"fully_qualified_name\":\"rem.sessions\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"name\":{\"type\":[\"string\",\"null\"]},"
    "\"agent_id\":{\"type\":[\"string\",\"null\"]},"
    "\"user_id\":{\"type\":[\"string\",\"null\"]},"
    "\"status\":{\"enum\":[\"active\",\"closed\",\"archived\"]},"
    "\"metadata\":{\"type\":\"object\"}},"
    "\"indexed_fields\":[\"agent_id\",\"user_id\",\"status\"]}",

    /* messages: the turns of a session */
    "{\"name\":\"messages\","
    "\"description\":\"Messages of sessions\","
    "\"category\":\"system\",\"version\":\"1.0.0\","
    "\"fully_qualified_name\":\"rem.messages\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"session_id\":{\"type\":\"string\"},"
    "\"role\":{\"enum\":[\"system\",\"user\",\"assistant\",\"tool\"]},"
    "\"content\":{\"type\":\"string\"},"
    "\"tool_name\":{\"type\":[\"string\",\"null\"]},"
    "\"ordinal\":{\"type\":\"integer\",\"minimum\":0},"
    "\"metadata\":{\"type\":\"object\"}},"
    "\"required\":[\"session_id\",\"role\",\"content\"],"
    "\"indexed_fields\":[\"session_id\",\"role\"],"
    "\"embedding_fields\":[\"content\"],"
    "\"embedding\":{\"dim\":384,\"metric\":\"cosine\",\"provider\":\"hash\"}}",
};

const int sch_builtin_count = sizeof sch_builtin / sizeof sch_builtin[0];
