"""The official Alibaba Cloud SDKs, clients akless did not write, against the emulator."""
