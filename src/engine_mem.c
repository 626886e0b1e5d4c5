/* engine_mem.c — hands out the engine's allocator (engine_mem.h), so that modules written
 * against the public API need not include engine.h. */
#include "engine_mem.h"

#include "engine.h"

const scv__mem *scv__engine_mem(const scv_engine *engine)
{
    return &engine->mem;
}
