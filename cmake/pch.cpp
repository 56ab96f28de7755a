// Carrier translation unit for the shared precompiled header (cmake/tetra_pch.h).
