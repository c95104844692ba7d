//! `imageInfo.*`: dimensions and format read from an object's header bytes.

use cbspec_protocol::facts::ImageInfo;

use super::blob::Blob;

/// How much of an object is read to find its image header: every format's
/// header is near the start (a JPEG's frame header follows its EXIF and
/// other APPn segments, each at most 64 KiB).
const IMAGE_HEADER_BYTES: usize = 512 * 1024;

/// [`image_info`] of an object's first bytes, so a large object is never
/// read whole for its dimensions.
pub fn image_info_of(data: &Blob) -> Option<ImageInfo> {
    image_info(&data.read_at(0, IMAGE_HEADER_BYTES).ok()?)
}

/// Reads the image header of `data`. Only the formats OSS image processing
/// names are images here: JPEG, PNG, GIF, BMP and WebP.
// spec: CB-SYS-IMAGEINFO, CB-SYS-IMAGEINFO-FORMAT
pub fn image_info(data: &[u8]) -> Option<ImageInfo> {
    use imagesize::ImageType;
    let format = match imagesize::image_type(data).ok()? {
        ImageType::Jpeg => "jpg",
        ImageType::Png => "png",
        ImageType::Gif => "gif",
        ImageType::Bmp => "bmp",
        ImageType::Webp => "webp",
        _ => return None,
    };
    let size = imagesize::blob_size(data).ok()?;
    Some(ImageInfo {
        height: size.height as u64,
        width: size.width as u64,
        format: format.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 GIF89a header (logical screen width 3, height 2), written out by hand
    /// from the GIF89a specification's header layout.
    const GIF_3X2: &[u8] = b"GIF89a\x03\x00\x02\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x03\x00\x02\x00\x00\x02\x02D\x01\x00;";

    #[test]
    fn reads_gif_dimensions() {
        assert_eq!(
            image_info(GIF_3X2),
            Some(ImageInfo {
                height: 2,
                width: 3,
                format: "gif".into()
            })
        );
        assert_eq!(image_info(b"hello"), None);
        assert_eq!(image_info(b""), None);
    }
}
