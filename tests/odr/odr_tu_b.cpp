// Unit b of the ODR test: odr_tu.cpp under another configuration (set by tests/cmake/odr.cmake).
#include "odr_tu.cpp"
