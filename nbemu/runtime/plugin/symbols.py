"""Guest symbol lookup for insn_symbol: the function symbols of the loaded ELF images."""
import bisect


class SymbolMap:
    def __init__(self, images):
        """images: (path, load bias) of the program and its interpreter."""
        self._starts, self._ends, self._names = [], [], []
        self._images = images
        self._loaded = False

    def _load(self):
        from elftools.elf.elffile import ELFFile
        from elftools.elf.sections import SymbolTableSection
        syms = []
        for path, bias in self._images:
            try:
                with open(path, 'rb') as f:
                    elf = ELFFile(f)
                    for sec in elf.iter_sections():
                        if not isinstance(sec, SymbolTableSection):
                            continue
                        for s in sec.iter_symbols():
                            if s['st_info']['type'] == 'STT_FUNC' and s['st_value'] and s.name:
                                syms.append((s['st_value'] + bias, s['st_size'], s.name))
            except (OSError, Exception):    # a stripped or unreadable image has no symbols
                continue
        syms.sort()
        for start, size, name in syms:
            self._starts.append(start)
            self._ends.append(start + max(size, 1))
            self._names.append(name)
        self._loaded = True

    def lookup(self, addr):
        if not self._loaded:
            self._load()
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and addr < self._ends[i]:
            return self._names[i]
        return None
