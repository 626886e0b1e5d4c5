/* engine_mem.h — the engine's allocator for modules that otherwise see only the public API
 * (profile_json.c): they need scratch memory but not the engine's layout. Internal. */
#ifndef SCV_ENGINE_MEM_H
#define SCV_ENGINE_MEM_H

#include "scv.h"
#include "util/mem.h"

/* The allocator `engine` was made with. engine must not be NULL. */
const scv__mem *scv__engine_mem(const scv_engine *engine);

#endif
