using System.Runtime.CompilerServices;

// Every P/Invoke signature is blittable (pointers and primitives, generated that way), so the runtime never needs to
// build a marshalling stub: calls cost a plain transition, and a non-blittable signature fails to compile.
[assembly: DisableRuntimeMarshalling]
