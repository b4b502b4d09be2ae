"""Where everything lives in the emulated address space (the same for both arches and every image).

    0x0001_0000  trampoline (RX)      sets registers from ARGS, calls the function, stores results
    0x0001_1000  ARGS (RW)            argument registers, poison values, sp and the function address
    0x0001_2000  RESULTS (RW)         return registers and callee-saved registers after the call
    0x0001_3000  LIBC_DATA (RW)       ctype tables served to __ctype_b_loc and friends
    0x0010_0000  the image            text RX | stubs R | rodata R | data RW | bss RW | symtab R
    0x1000_0000  heap (RW)            malloc & co., a bump allocator
    0x2000_0000  input slots          one buffer per slot, ending at an unmapped guard page
    0x7f00_0000  stack (RW)           1 MiB; unmapped guard pages below and above
"""
TRAMPOLINE = 0x10000
ARGS = 0x11000
RESULTS = 0x12000
LIBC_DATA = 0x13000
LIBC_DATA_SIZE = 0x3000

HEAP = 0x10000000
HEAP_SIZE = 0x1000000

SLOTS = 0x20000000
SLOT_SIZE = 0x10000  # a buffer may be up to 64 KiB
SLOT_STRIDE = SLOT_SIZE + 0x1000  # one unmapped guard page after each slot
SLOT_COUNT = 96

STACK_LOW = 0x7F000000
STACK_SIZE = 0x100000
STACK_TOP = STACK_LOW + STACK_SIZE  # sp at the call; stack arguments live above it
CALLER_AREA = 0x1000  # mapped above STACK_TOP for stack arguments
STACK_GUARD = 0x10000  # unmapped on both sides: accesses here are memory.stack faults


def slot_address(index: int) -> int:
    return SLOTS + index * SLOT_STRIDE


def slot_guard(address: int) -> bool:
    """Is `address` in the guard page that follows an input buffer (or the one before the first)?"""
    if SLOTS - 0x1000 <= address < SLOTS:
        return True
    if not SLOTS <= address < SLOTS + SLOT_COUNT * SLOT_STRIDE:
        return False
    return (address - SLOTS) % SLOT_STRIDE >= SLOT_SIZE


def stack_guard(address: int) -> bool:
    return (STACK_LOW - STACK_GUARD <= address < STACK_LOW
            or STACK_TOP + CALLER_AREA <= address < STACK_TOP + CALLER_AREA + STACK_GUARD)
